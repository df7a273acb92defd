package ooxml

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
	"github.com/xuri/excelize/v2"
)

// TestExcelize opens every xlsx output with excelize, with our own unzip
// limits (its default is 16 GB), and reads the benign cells back.
func TestExcelize(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, fx := range fixtures(t) {
		if !strings.HasPrefix(fx.name, "xls") {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			_, out := sanitizetest.Run(t, eng, fx.in, fx.file)
			f, err := excelize.OpenReader(bytes.NewReader(out), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != "Sheet1" {
				t.Errorf("sheets %v", got)
			}
			if v, err := f.GetCellValue("Sheet1", "A1"); err != nil || v != benign {
				t.Errorf("A1 = %q, %v", v, err)
			}
			for _, dn := range f.GetDefinedName() {
				if strings.Contains(strings.ToLower(dn.Name), "auto_") {
					t.Errorf("defined name %q survived", dn.Name)
				}
			}
			if strings.Contains(fx.name, "dde") {
				if fm, _ := f.GetCellFormula("Sheet1", "B1"); fm != "" {
					t.Errorf("B1 formula %q", fm)
				}
				if v, _ := f.GetCellValue("Sheet1", "C1"); v != "5" {
					t.Errorf("C1 = %q", v)
				}
				if fm, _ := f.GetCellFormula("Sheet1", "D1"); fm != "SUM(1,2)" {
					t.Errorf("D1 formula %q", fm)
				}
			} else if v, _ := f.GetCellValue("Sheet1", "B1"); strings.Contains(fx.name, "macro sheet") && v != "42" {
				t.Errorf("B1 = %q", v)
			}
		})
	}
}

// TestExcelizeCorpus: every xlsx output of the corpus opens, and each sheet
// that survived holds the same cell values as in the input.
func TestExcelizeCorpus(t *testing.T) {
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skip(err)
	}
	eng := newEngine(t, Options{}, sanitize.Limits{})
	opt := excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20}
	n := 0
	for _, e := range ents {
		in, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		rep, out := sanitizetest.Run(t, eng, in, e.Name())
		if out == nil || rep.OutputType != detect.XLSX {
			continue
		}
		n++
		fo, err := excelize.OpenReader(bytes.NewReader(out), opt)
		if err != nil {
			t.Errorf("%s: output does not open: %v", e.Name(), err)
			continue
		}
		fi, err := excelize.OpenReader(bytes.NewReader(in), opt)
		if err != nil {
			t.Logf("%s: input does not open in excelize: %v", e.Name(), err)
			fo.Close()
			continue
		}
		for _, sh := range fo.GetSheetList() {
			ro, err1 := fo.GetRows(sh)
			ri, err2 := fi.GetRows(sh)
			if err1 != nil || err2 != nil {
				t.Errorf("%s/%s: %v %v", e.Name(), sh, err1, err2)
				continue
			}
			if !reflect.DeepEqual(ro, ri) {
				t.Errorf("%s/%s: cell values differ", e.Name(), sh)
			}
		}
		fo.Close()
		fi.Close()
	}
	t.Logf("%d xlsx outputs opened and compared", n)
}
