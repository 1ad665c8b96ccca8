// Package certs loads, orders and serves the TLS front's certificate: legacy and modern .pfx
// files, PEM pairs with extra chain files, development certificates, and the TLS policy.
//
// Expiry policy: loading never fails because of dates. An expired leaf, or one not yet valid,
// decodes like any other so that `cert import` and `cert show` can still open and explain it;
// [Bundle.Validity] returns [ErrExpired] or [ErrNotYetValid] for callers that must refuse to
// serve it, and [Bundle.Check] turns dates (expired, not yet valid, expiring within 30 days),
// an incomplete chain and weak algorithms into human warnings for logs and the CLI.
package certs
