package main

import (
	"context"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/store"
)

// apiTokenHash returns the hash (store.HashToken) the server checks API tokens against: of
// the configured token, else the stored one, else of a new token it stores (as its hash
// only) and returns in token, with generated set, to print once. The store never holds the
// token itself; an older plaintext row was converted when the store opened.
func apiTokenHash(ctx context.Context, st *store.Store, configured string) (hash, token string, generated bool, err error) {
	if configured != "" {
		return store.HashToken(configured), "", false, nil
	}
	hash, ok, err := st.APITokenHash(ctx)
	if err != nil || ok {
		return hash, "", false, err
	}
	token = auth.NewSecret()
	if err := st.SetAPIToken(ctx, token); err != nil {
		return "", "", false, err
	}
	return store.HashToken(token), token, true, nil
}
