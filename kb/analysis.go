package kb

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// separatorCharFilterName is a char filter that turns the separators of
// codes and identifiers ('_', '-', '/', '.', ':') into spaces, so that
// "do_not_honor" indexes as "do not honor". (bleve's regexp char filter does
// the same but costs a regular expression per field value.)
const separatorCharFilterName = "kb_separators"

type separatorCharFilter struct{}

func (separatorCharFilter) Filter(input []byte) []byte {
	out := input
	copied := false
	for i, c := range input {
		switch c {
		case '_', '-', '/', '.', ':':
			if !copied {
				out = append([]byte(nil), input...)
				copied = true
			}
			out[i] = ' '
		}
	}
	return out
}

func init() {
	_ = registry.RegisterCharFilter(separatorCharFilterName,
		func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
			return separatorCharFilter{}, nil
		})
}
