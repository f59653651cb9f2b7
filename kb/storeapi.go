package kb

// Normalise checks and cleans a document the way Upsert does (trimmed id,
// lower-case kind defaulting to "community", redaction) so that a writer can
// reject a bad document before it reaches the store that every index
// follows (package kb/kbstore). Errors: a missing id, title or body, or an
// unknown kind.
func Normalise(d Doc) (Doc, error) { return normaliseDoc(d) }
