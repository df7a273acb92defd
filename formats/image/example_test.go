package image_test

import (
	"bytes"
	"context"
	"fmt"
	goimage "image"
	"image/png"
	"io"

	"github.com/mugai-project/mugai/formats/image"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// A PNG with a script after its IEND chunk comes out as a new PNG of the
// same pixels, without the appended bytes.
func ExampleSanitizer() {
	var b bytes.Buffer
	png.Encode(&b, goimage.NewGray(goimage.Rect(0, 0, 4, 3)))
	in := append(b.Bytes(), "<script>alert(1)</script>"...)

	s := image.New(image.Options{})
	var out bytes.Buffer
	res, err := s.Sanitize(context.Background(), &out, &sanitize.Item{
		Src:  io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in))),
		Name: "photo.png",
		Kind: detect.PNG,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Println(f.Rule, f.Action, f.Detail)
	}
	fmt.Println(bytes.Contains(out.Bytes(), []byte("<script>")))
	// Output:
	// image.trailing removed 25 bytes after the end of the image
	// false
}
