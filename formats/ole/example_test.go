package ole_test

import (
	"context"
	"fmt"
	"os"

	"github.com/mugai-project/mugai/formats/ole"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// One Sanitizer serves doc, xls and ppt. Without a Converter a file with
// active content is blocked; a clean one passes unchanged; a file that is
// not a compound file is blocked as malformed.
func Example() {
	s := ole.New(ole.Options{})
	eng := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.DOC: s, detect.XLS: s, detect.PPT: s},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeVerify },
		TempDir:    os.TempDir(),
	}
	rep, _, err := eng.RunKind(context.Background(), sanitize.BlobBytes([]byte("not a compound file")), "a.doc", "", detect.DOC)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Outcome, rep.Findings[0].Rule)
	// Output: blocked sanitize.malformed
}
