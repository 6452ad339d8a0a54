package accesslog

import (
	"fmt"
	"io"
	"os"
)

// Output values of config.AccessLog.Output other than a file path.
const (
	outputOff    = "off"
	outputStdout = "stdout"
	outputStderr = "stderr"
)

// fileMode is the permission of a log file the logger creates.
const fileMode = 0o644

// output is where the writer goroutine writes. Only a file the logger
// opened itself (path set) is reopened and closed; standard streams and
// writers passed to NewWriter are left alone.
type output struct {
	w    io.Writer
	file *os.File
	// path is the file path, "stdout", "stderr" or "" for NewWriter.
	path string
}

// name returns what the output is called in the logger's own messages.
func (o *output) name() string {
	if o.path == "" {
		return "writer"
	}
	return o.path
}

// openOutput resolves the Output setting: "stdout", "stderr" or a file
// path, opened for appending and created when missing.
func openOutput(spec string) (output, error) {
	switch spec {
	case outputStdout, "":
		return output{w: os.Stdout, path: outputStdout}, nil
	case outputStderr:
		return output{w: os.Stderr, path: outputStderr}, nil
	}
	f, err := openFile(spec)
	if err != nil {
		return output{}, err
	}
	return output{w: f, file: f, path: spec}, nil
}

// openFile opens path for appending, creating it when missing.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("accesslog: %w", err)
	}
	return f, nil
}

// reopen opens the path again and closes the old file, so records go to a
// fresh file after the old one was moved away by a rotation tool. When the
// open fails the old file stays in use. It is a no-op for outputs the
// logger did not open.
func (o *output) reopen() error {
	if o.file == nil {
		return nil
	}
	f, err := openFile(o.path)
	if err != nil {
		return err
	}
	old := o.file
	o.w, o.file = f, f
	if err := old.Close(); err != nil {
		return fmt.Errorf("accesslog: close %s: %w", o.path, err)
	}
	return nil
}

// close closes the file the logger opened, if any.
func (o *output) close() error {
	if o.file == nil {
		return nil
	}
	if err := o.file.Close(); err != nil {
		return fmt.Errorf("accesslog: close %s: %w", o.path, err)
	}
	return nil
}
