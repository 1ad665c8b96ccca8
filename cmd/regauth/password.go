package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/regauth/regauth/auth"
)

// Passwords never come from flags, which every user on the machine can read in the process
// list: they come from a no-echo prompt, one line of stdin, a file or the environment.

// terminalFd returns stdin's descriptor when it is a terminal.
func terminalFd(in io.Reader) (int, bool) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// readLine reads one line of r without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("stdin is empty")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// prompt asks for a secret on the terminal without echoing it.
func prompt(cmd *cobra.Command, fd int, question string) (string, error) {
	fmt.Fprint(cmd.ErrOrStderr(), question)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

// readNewPassword gets a new password for user: one line of stdin with --password-stdin,
// otherwise a no-echo prompt asked twice.
func readNewPassword(cmd *cobra.Command, user string, fromStdin bool) (auth.Password, error) {
	var pw string
	if fromStdin {
		line, err := readLine(cmd.InOrStdin())
		if err != nil {
			return "", usage(fmt.Errorf("--password-stdin: %w", err))
		}
		pw = line
	} else {
		fd, ok := terminalFd(cmd.InOrStdin())
		if !ok {
			return "", usage(errors.New("stdin is not a terminal: pipe the password in and pass --password-stdin"))
		}
		first, err := prompt(cmd, fd, fmt.Sprintf("New password for %s: ", user))
		if err != nil {
			return "", err
		}
		again, err := prompt(cmd, fd, "Retype the password: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", usage(errors.New("the passwords do not match"))
		}
		pw = first
	}
	if pw == "" {
		return "", usage(errors.New("empty password refused"))
	}
	return auth.Password(pw), nil
}
