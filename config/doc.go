// Package config is regauth's typed configuration: one YAML file, REGAUTH_* environment variables
// and command-line flags merged by viper, checked strictly (unknown keys are errors with file:line).
package config
