package rtf_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mugai-project/mugai/formats/rtf"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// The engine runs the sanitizer and re-scans its output: a DDE field goes,
// its displayed result stays.
func Example() {
	eng := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.RTF: rtf.New(rtf.Options{})},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		TempDir:    os.TempDir(),
	}
	in := `{\rtf1 Hello {\field{\*\fldinst DDEAUTO cmd "/c calc"}{\fldrslt world}}}`
	rep, out, err := eng.Run(context.Background(), sanitize.Input{R: bytes.NewReader([]byte(in)), Name: "a.rtf"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Close()
	b, _ := io.ReadAll(out.Reader())
	fmt.Println(rep.Outcome, rep.Findings[0].Rule)
	fmt.Println(string(b))
	// Output:
	// sanitized rtf.dde
	// {\rtf1 Hello {{world}}}
}
