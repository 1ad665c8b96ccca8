package acl

// classicYAML mirrors the Apache setup regauth replaces: every valid user may
// pull, group pusher may push too, and group admins may do everything.
const classicYAML = `# acl.yaml: who may do what on the registry.
#
# Rules are tried from the top; the FIRST rule whose "match" fits the request
# decides, and a request that no rule matches is denied.
#
# match keys (every key present must fit; match: {} fits every request):
#   account  the user name. account: "" is the anonymous user only;
#            "/.+/" is any signed-in user; leaving account out means anyone.
#   group    fits when any of the user's groups fits.
#   type     repository, registry, ...
#   name     the repository name (team/app, host:5000/x) or, for type
#            registry, catalog. ${account} stands for the user's own name,
#            so "${account}/*" is a personal namespace (never anonymous).
#   service  the registry's service name.
#   ip       the client's address or network: 10.0.0.0/8, fd00::/8, 192.0.2.7.
# Values are globs: * matches anything, including "/" (team/* covers
# team/a/b), and ? exactly one character. Write /regex/ for a regular
# expression; it must match the whole value.
#
# actions: pull, push, delete, or "*" for everything requested (quote the
# star). actions: [] denies. comment: shows up in "why" explanations and logs.
#
# When regauth reloads this file, a version with errors is refused (every
# problem is reported with its line) and the previous rules stay in force.

rules:
  - match: {group: admins}
    actions: ["*"]
    comment: group admins may do everything

  - match: {group: pusher, type: repository}
    actions: [pull, push]
    comment: group pusher may push (add delete to let them delete too)

  - match: {account: "/.+/", type: repository}
    actions: [pull]
    comment: every signed-in user may pull

  - match: {account: "/.+/", type: registry, name: catalog}
    actions: ["*"]
    comment: signed-in users may list the catalog

  # More examples, uncomment to use (order matters: put them above the
  # broader rules they should win over):
  #
  # - match: {account: "/.+/", name: "${account}/*"}
  #   actions: [pull, push, delete]
  #   comment: everyone owns a personal namespace
  #
  # - match: {account: "", type: repository, name: "public/*"}
  #   actions: [pull]
  #   comment: anonymous users may pull public/*
  #
  # - match: {account: ci-bot, ip: 10.0.0.0/8}
  #   actions: [pull, push]
  #   comment: the CI robot may push, from the internal network only
`

// ClassicYAML returns a commented acl.yaml for the classic setup: every
// signed-in user may pull and list the catalog, group pusher may push too,
// group admins may do everything. It is written as the default file on first
// start; each call returns a fresh copy.
func ClassicYAML() []byte { return []byte(classicYAML) }
