package main

import (
	"testing"

	"github.com/mugai-project/mugai/formats/odf"
	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/formats/xlsx"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// TestOfficeWiring: ODF kinds go to formats/odf, and [office] xlsx picks
// the OOXML allow-list sanitizer or the rebuild for workbooks.
func TestOfficeWiring(t *testing.T) {
	cfg := policy.Default()
	m := sanitizers(cfg)
	for _, k := range []detect.Kind{detect.ODT, detect.ODS, detect.ODP} {
		if _, ok := m[k].(*odf.Sanitizer); !ok {
			t.Errorf("%s: %T", k, m[k])
		}
	}
	if _, ok := m[detect.XLSX].(*ooxml.Sanitizer); !ok {
		t.Errorf("default xlsx: %T", m[detect.XLSX])
	}
	cfg.Office.XLSX = policy.XLSXRebuild
	m = sanitizers(cfg)
	for _, k := range []detect.Kind{detect.XLSX, detect.XLSM} {
		if _, ok := m[k].(*xlsx.Sanitizer); !ok {
			t.Errorf("rebuild %s: %T", k, m[k])
		}
	}
	if _, ok := m[detect.DOCX].(*ooxml.Sanitizer); !ok {
		t.Errorf("docx: %T", m[detect.DOCX])
	}
}
