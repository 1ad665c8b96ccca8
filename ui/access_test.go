package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regauth/regauth/audit"
)

func TestRepositoriesListOnlyWhatTheUserMayPull(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.standardImages()
	cases := []struct {
		user       string
		see, avoid []string
	}{
		{"test", []string{"team/app", "team/multi", "public/hello"}, []string{"alice/private"}},
		{"alice", []string{"alice/private"}, []string{"team/app", "team/multi", "public/hello"}},
		{"admin", []string{"team/app", "team/multi", "public/hello", "alice/private"}, nil},
		{"bob", []string{"team/app"}, []string{"alice/private"}},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			page := f.signedIn(tc.user).get("/ui/")
			wantStatus(t, page, http.StatusOK)
			for _, r := range tc.see {
				wantBody(t, page, `href="/ui/repo/`+r+`"`)
			}
			for _, r := range tc.avoid {
				wantNotBody(t, page, r)
			}
		})
	}
}

func TestAnotherUsersPrivateRepositoryIsNotFoundByURL(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.standardImages()
	test := f.signedIn("test")
	missing := test.get("/ui/repo/team/does-not-exist")
	wantStatus(t, missing, http.StatusNotFound)
	for _, path := range []string{
		"/ui/repo/alice/private",
		"/ui/repo/alice/private/-/tag/1",
		"/ui/repo/alice/private/-/manifest/" + p.private.String(),
		"/ui/repo/alice/private/-/delete/" + p.private.String(),
	} {
		t.Run(path, func(t *testing.T) {
			r := test.get(path)
			wantStatus(t, r, http.StatusNotFound)
			wantBody(t, r, "There is no")
			wantNotBody(t, r, p.private.String(), "Entrypoint")
		})
	}
	// The same pages open for the owner.
	alice := f.signedIn("alice")
	wantStatus(t, alice.get("/ui/repo/alice/private"), http.StatusOK)
	wantStatus(t, alice.get("/ui/repo/alice/private/-/tag/1"), http.StatusOK)
	// And the owner cannot reach the team's repositories.
	wantStatus(t, alice.get("/ui/repo/team/app"), http.StatusNotFound)
}

func TestAForbiddenRepositoryLooksExactlyLikeAMissingOne(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.standardImages()
	test := f.signedIn("test")
	forbidden := test.get("/ui/repo/alice/private")
	missing := test.get("/ui/repo/alice/nothing")
	if forbidden.status != missing.status || forbidden.body != missing.body {
		t.Errorf("a forbidden repository answers %d and a missing one %d; the pages differ: %v",
			forbidden.status, missing.status, forbidden.body != missing.body)
	}
}

func TestDeleteNeedsTheCSRFTokenTheDeleteRightAndARegistryThatDeletes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.standardImages()
	deletePath := "/ui/repo/team/app/-/delete/" + p.app.String()

	t.Run("a user without the delete right is refused and nothing changes", func(t *testing.T) {
		c := f.signedIn("testpush")
		wantStatus(t, c.get(deletePath), http.StatusForbidden)
		// Forge the POST with a valid token from another page: still refused.
		token := c.csrf(c.get("/ui/"))
		wantStatus(t, c.do(http.MethodPost, deletePath, url.Values{"csrf": {token}}), http.StatusForbidden)
		tag := c.get("/ui/repo/team/app/-/tag/1.0")
		wantStatus(t, tag, http.StatusOK)
		wantNotBody(t, tag, "Delete…")
	})
	t.Run("a forged form without the CSRF token is refused", func(t *testing.T) {
		c := f.signedIn("admin")
		wantStatus(t, c.do(http.MethodPost, deletePath, url.Values{}), http.StatusForbidden)
		wantStatus(t, c.do(http.MethodPost, deletePath, url.Values{"csrf": {"forged"}}), http.StatusForbidden)
		// A token from another user's session is worth nothing either.
		other := f.signedIn("alice")
		wantStatus(t, c.do(http.MethodPost, deletePath, url.Values{"csrf": {other.csrf(other.get("/ui/"))}}), http.StatusForbidden)
		wantStatus(t, c.get("/ui/repo/team/app/-/tag/1.0"), http.StatusOK)
	})
	t.Run("anonymous visitors are sent to sign in and cannot post", func(t *testing.T) {
		c := f.client()
		r := c.get(deletePath)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/ui/signin?next=") {
			t.Errorf("Location = %q", loc)
		}
		signinPage := c.get("/ui/signin")
		wantStatus(t, c.do(http.MethodPost, deletePath, url.Values{"csrf": {c.csrf(signinPage)}}), http.StatusForbidden)
	})
	t.Run("an admin confirms, deletes, and the tags are gone", func(t *testing.T) {
		c := f.signedIn("admin")
		tag := c.get("/ui/repo/team/app/-/tag/1.0")
		wantBody(t, tag, "Delete…")
		confirm := c.get(deletePath + "?tag=1.0")
		wantStatus(t, confirm, http.StatusOK)
		wantBody(t, confirm, "Delete permanently", "garbage collection", ">1.0<", ">latest<")
		wantNotBody(t, confirm, ">0.9<")
		r := c.do(http.MethodPost, deletePath+"?tag=1.0", url.Values{"csrf": {c.csrf(confirm)}, "tag": {"1.0"}})
		wantStatus(t, r, http.StatusSeeOther)
		repo := c.get(r.header.Get("Location"))
		wantStatus(t, repo, http.StatusOK)
		wantBody(t, repo, "Deleted manifest", "garbage collection", ">0.9<")
		wantNotBody(t, repo, ">1.0<", ">latest<")
		wantStatus(t, c.get("/ui/repo/team/app/-/tag/1.0"), http.StatusNotFound)
		events := f.audit.kinds(audit.KindDelete)
		if len(events) != 1 || events[0].User != "admin" || events[0].Target != "team/app@"+p.app.String() || events[0].OK == nil || !*events[0].OK {
			t.Errorf("audit events = %+v, want one successful delete by admin", events)
		}
	})
	t.Run("alice deletes in her own namespace", func(t *testing.T) {
		c := f.signedIn("alice")
		path := "/ui/repo/alice/private/-/delete/" + p.private.String()
		confirm := c.get(path)
		wantStatus(t, confirm, http.StatusOK)
		wantStatus(t, c.do(http.MethodPost, path, url.Values{"csrf": {c.csrf(confirm)}}), http.StatusSeeOther)
	})
}

func TestDeleteExplainsWhenTheRegistryHasDeletesSwitchedOff(t *testing.T) {
	f := newFixture(t, fixtureOptions{deleteOff: true})
	p := f.standardImages()
	c := f.signedIn("admin")
	tag := c.get("/ui/repo/team/app/-/tag/1.0")
	wantNotBody(t, tag, "Delete…")
	wantBody(t, tag, "deletes switched off")
	path := "/ui/repo/team/app/-/delete/" + p.app.String()
	confirm := c.get(path)
	wantStatus(t, confirm, http.StatusOK)
	wantBody(t, confirm, "deletes switched off")
	wantNotBody(t, confirm, "Delete permanently")
	token := c.csrf(c.get("/ui/"))
	r := c.do(http.MethodPost, path, url.Values{"csrf": {token}})
	wantStatus(t, r, http.StatusConflict)
	wantBody(t, r, "does not allow deletes")
	wantStatus(t, c.get("/ui/repo/team/app/-/tag/1.0"), http.StatusOK)
}

func TestAnonymousBrowsingOnlyWhenTheACLLetsAnonymousPullSomething(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.standardImages()
	c := f.client()
	list := c.get("/ui/")
	wantStatus(t, list, http.StatusOK)
	wantBody(t, list, `href="/ui/repo/public/hello"`, "Sign in")
	wantNotBody(t, list, "team/app", "alice/private")
	wantStatus(t, c.get("/ui/repo/public/hello/-/tag/1"), http.StatusOK)
	hidden := c.get("/ui/repo/team/app")
	wantStatus(t, hidden, http.StatusNotFound)
	wantBody(t, hidden, "Sign in to see more")
	wantStatus(t, c.get("/ui/repo/team/app/-/manifest/"+p.app.String()), http.StatusNotFound)

	f.setACL(aclWithoutAnonymous)
	r := c.get("/ui/")
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/ui/signin" {
		t.Errorf("Location = %q, want the sign-in page", loc)
	}
	wantStatus(t, c.get("/ui/repo/public/hello"), http.StatusNotFound)
}

func TestTheAdminPageIsForAdminsOnly(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	wantStatus(t, f.client().get("/ui/admin"), http.StatusSeeOther)
	wantStatus(t, f.signedIn("test").get("/ui/admin"), http.StatusForbidden)
	wantNotBody(t, f.signedIn("test").get("/ui/"), `href="/ui/admin"`)

	admin := f.signedIn("admin")
	page := admin.get("/ui/admin")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, ">testpush<", ">pusher<", ">admins<", ">alice<", `href="/ui/admin"`)

	cases := []struct {
		query              string
		granted, denied    string
		rule, unknown      string
		noRuleMatchMessage bool
	}{
		{query: "user=testpush&actions=pull,push,delete&name=team/app", granted: "allowed: pull, push", denied: "denied: delete", rule: "(rule 5)"},
		{query: "user=test&actions=pull&name=alice/private", denied: "denied: pull", rule: `alice/* is private`},
		{query: "user=admin&actions=delete&name=anything/at/all", granted: "allowed: delete", rule: "group admins may do everything"},
		{query: "user=&actions=pull&name=public/hello", granted: "allowed: pull", rule: "anonymous users may pull public/*"},
		{query: "user=&actions=push&type=registry&name=catalog", denied: "denied: push", noRuleMatchMessage: true},
		{query: "user=nobody&actions=pull&name=team/app", granted: "allowed: pull", unknown: "There is no user nobody"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := admin.get("/ui/admin?" + tc.query)
			wantStatus(t, r, http.StatusOK)
			body := strings.ReplaceAll(r.body, "&#34;", `"`)
			for _, s := range []string{tc.granted, tc.denied, tc.rule, tc.unknown} {
				if s != "" && !strings.Contains(body, s) {
					t.Errorf("explain lacks %q", s)
				}
			}
			if tc.noRuleMatchMessage && !strings.Contains(body, "No rule matched") {
				t.Error("explain does not say that no rule matched")
			}
		})
	}
}

func TestSignOutNeedsTheCSRFTokenAndEndsTheSession(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.setACL(aclWithoutAnonymous)
	c := f.signedIn("test")
	wantStatus(t, c.do(http.MethodPost, "/ui/signout", url.Values{}), http.StatusForbidden)
	wantStatus(t, c.get("/ui/"), http.StatusOK)
	r := c.do(http.MethodPost, "/ui/signout", url.Values{"csrf": {c.csrf(c.get("/ui/"))}})
	wantStatus(t, r, http.StatusSeeOther)
	if c.cookie != "" {
		t.Error("sign-out did not clear the cookie")
	}
	wantStatus(t, c.get("/ui/"), http.StatusSeeOther)
}
