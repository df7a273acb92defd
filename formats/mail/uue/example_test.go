package uue_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/mugai-project/mugai/formats/mail/uue"
)

// A mail sanitizer replaces each block with a note, and sanitizes (or
// blocks) the decoded file.
func ExampleSplit() {
	body := "Hello,\n" +
		"begin 644 hi.txt\n" +
		"#:&D*\n" +
		"`\n" +
		"end\n" +
		"Bye.\n"
	err := uue.Split(strings.NewReader(body), os.Stdout, uue.Limits{}, func(b uue.Block) error {
		if b.Err != nil {
			fmt.Printf("[broken block %q removed]\n", b.Name)
			return nil
		}
		fmt.Printf("[attachment %q, %d bytes: %q]\n", b.Name, len(b.Data), b.Data)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// Hello,
	// [attachment "hi.txt", 3 bytes: "hi\n"]
	// Bye.
}
