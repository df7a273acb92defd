package ooxml_test

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// One Sanitizer serves every OOXML kind; the engine detects, sanitizes and
// re-scans the output.
func Example() {
	s := ooxml.New(ooxml.Options{Hyperlinks: ooxml.HyperlinksKeepWeb})
	eng := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.DOCX: s, detect.DOCM: s, detect.XLSX: s, detect.XLSM: s, detect.PPTX: s, detect.PPTM: s,
		},
		Mode:    func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		TempDir: os.TempDir(),
	}
	rep, out, err := eng.Run(context.Background(), sanitize.Input{R: bytes.NewReader([]byte("not a package")), Name: "a.docm"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if out != nil {
		out.Close()
	}
	fmt.Println(rep.Outcome)
	// Output: blocked
}
