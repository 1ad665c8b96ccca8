// Package ui is regauth's web interface under /ui/: sign in, browse the repositories the ACL
// lets you pull, inspect tags, copy pull commands, delete what you may delete, and explain ACL
// decisions. It renders HTML on the server, talks to the registry in-process with a token
// minted for the signed-in user, and needs JavaScript only for copy-to-clipboard.
package ui
