package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// TestUsers lists accounts through the client as LPSE staff do: the
// registration queue, a search, a page; refused to a provider.
func TestUsers(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := w.anon.Register(ctx, provider(7))
	if err != nil {
		t.Fatal(err)
	}
	queue, err := w.verifier.Users(ctx, client.UserQuery{Status: api.StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0].ID != pending.ID || len(queue[0].Documents) == 0 {
		t.Errorf("the queue: %+v, want %s alone, with its documents", queue, pending.ID)
	}
	found, err := w.verifier.Users(ctx, client.UserQuery{Role: api.RoleProvider, Text: provider(7).Name})
	if err != nil || len(found) != 1 || found[0].ID != pending.ID {
		t.Errorf("searching by name: %+v %v", found, err)
	}
	all, err := w.admin.Users(ctx, client.UserQuery{Role: api.RoleProvider})
	if err != nil || len(all) != 3 {
		t.Fatalf("every provider: %d %v", len(all), err)
	}
	page, err := w.admin.Users(ctx, client.UserQuery{Role: api.RoleProvider, Limit: 1, Offset: 2})
	if err != nil || len(page) != 1 || page[0].ID != all[2].ID {
		t.Errorf("the third provider alone: %+v %v", page, err)
	}
	_, err = w.bidders[0].Users(ctx, client.UserQuery{})
	wantAPIError(t, "a provider lists accounts", err, 403, api.CodeForbidden)
	_, err = w.verifier.Users(ctx, client.UserQuery{Status: "waiting"})
	wantAPIError(t, "an unknown status", err, 400, api.CodeInvalid, "pending")
}
