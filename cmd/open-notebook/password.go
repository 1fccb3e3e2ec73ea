package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/open-notebook/open-notebook/internal/auth"
)

// hashPassword reads a password (the first line of in) and prints its
// Argon2id hash, to be used as OPEN_NOTEBOOK_PASSWORD. The password itself
// is never printed.
func hashPassword(in io.Reader, stdout, stderr io.Writer) error {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "Password (shown as you type; pipe it in to avoid that): ")
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("no password on standard input: try  printf '%s' \"$PASSWORD\" | open-notebook hash-password")
	}
	hash, err := auth.HashPassword(password, auth.DefaultHashParams())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, hash)
	return nil
}
