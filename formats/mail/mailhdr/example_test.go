package mailhdr_test

import (
	"fmt"

	"github.com/mugai-project/mugai/formats/mail/mailhdr"
)

func ExampleDecodeText() {
	// "会議" in ISO-2022-JP, cut between two encoded-words in the middle
	// of a character.
	fmt.Println(mailhdr.DecodeText("Re: =?ISO-2022-JP?B?GyRCMnE=?=\r\n =?ISO-2022-JP?B?NUQbKEI=?="))
	// Output: Re: 会議
}

func ExampleDecodeAddressList() {
	for _, a := range mailhdr.DecodeAddressList(`"山田 太郎" <taro@example.jp>, hanako@example.jp (Hanako), undisclosed-recipients:;`) {
		fmt.Printf("%q %q\n", a.Name, a.Addr)
	}
	// Output:
	// "山田 太郎" "taro@example.jp"
	// "Hanako" "hanako@example.jp"
	// "undisclosed-recipients" ""
}

func ExampleFileName() {
	fmt.Println(mailhdr.FileName(
		`attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf; filename="seikyu.pdf"`,
		`application/pdf; name="seikyu-type.pdf"`))
	// Output: 請求書.pdf
}

func ExampleEncodeText() {
	fmt.Printf("%q\n", mailhdr.EncodeText("Subject", "Re: 会議の件\r\nBcc: x@example.com", mailhdr.UTF8))
	fmt.Printf("%q\n", mailhdr.EncodeText("Subject", "Re: 会議の件", mailhdr.ISO2022JP))
	// Output:
	// "Subject: Re: =?UTF-8?B?5Lya6K2w44Gu5Lu2?=  Bcc: x@example.com\r\n"
	// "Subject: Re: =?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=\r\n"
}

func ExampleFormatParam() {
	fmt.Printf("%q\n", "Content-Disposition: attachment;\r\n "+mailhdr.FormatParam("filename", "請求書.pdf")+"\r\n")
	// Output:
	// "Content-Disposition: attachment;\r\n filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf\r\n"
}
