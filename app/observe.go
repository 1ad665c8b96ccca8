package app

import (
	"os"

	"github.com/regauth/regauth/audit"
)

// openAudit opens the audit log named by audit.output: stdout, a file, or off.
func (a *App) openAudit() error {
	switch out := a.Config.Audit.Output; out {
	case "off":
		a.Audit = audit.Discard()
	case "stdout":
		l := audit.NewJSONLogger(os.Stdout)
		a.Audit = l
		a.closers = append(a.closers, l.Close)
	default:
		l, err := audit.OpenFile(out)
		if err != nil {
			return err
		}
		a.Audit = l
		a.closers = append(a.closers, l.Close)
	}
	return nil
}

// onReload records every reload, good or refused, in the audit log and the metrics.
func (a *App) onReload(target string, err error) {
	e := audit.Event{Kind: audit.KindReload, Target: target, OK: audit.Bool(err == nil)}
	if err != nil {
		e.Error = err.Error()
	}
	a.Audit.Log(e)
	a.Metrics.Reload(target, err == nil)
}
