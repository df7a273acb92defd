package text

import "testing"

func TestEncoding(t *testing.T) {
	got, err := ShiftJIS.Encoding().NewDecoder().Bytes([]byte{0xF0, 0x40, 0x87, 0x40})
	if err != nil || string(got) != "\uE000①" {
		t.Errorf("Shift_JIS decoder: %q, %v", got, err)
	}
	kana, err := ISO2022JP.Encoding().NewDecoder().String("\x0e1\x0f")
	if err != nil || kana != "ｱ" {
		t.Errorf("ISO-2022-JP decoder: %q, %v", kana, err)
	}
	for cs := UTF8; cs <= Windows1252; cs++ {
		s := "abc"
		if cs != Windows1252 {
			s = "お知らせ①"
		}
		b, err := cs.Encoding().NewEncoder().String(s)
		if err != nil {
			t.Fatalf("%v: encode: %v", cs, err)
		}
		back, err := cs.Encoding().NewDecoder().String(b)
		if err != nil || back != s {
			t.Errorf("%v: round trip %q → %q, %v", cs, s, back, err)
		}
	}
}
