// Package kb is search and search only: the bleve index of knowledge-base
// articles, community answers, reference codes and past incidents, the
// importers, and the query analysis that understands payment codes.
package kb
