var s = 'hello';
WScript.Echo(s);
