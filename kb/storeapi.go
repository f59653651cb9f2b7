package kb

// Normalise checks and cleans a document the way Upsert does (trimmed id,
// lower-case kind defaulting to "community", card data and secrets masked)
// so that a writer can reject a bad document before it reaches the store
// that every index follows (package kb/kbstore), and so that the store never
// holds a card number. Errors: a missing id, title or body, an unknown
// kind, or an id of the passage form "<parent>#<n>" (reserved).
func Normalise(d Doc) (Doc, error) {
	d, err := normaliseDoc(d)
	if err != nil {
		return d, err
	}
	// Again, explicitly: the database is the durable copy, and masking
	// twice changes nothing more.
	RedactDoc(&d)
	return d, nil
}
