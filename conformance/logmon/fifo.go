package logmon

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// CreateFIFO makes a FIFO with mode 0600 unless the path already holds one.
func CreateFIFO(path string) error {
	info, err := os.Lstat(path)
	if err == nil {
		if info.Mode()&os.ModeNamedPipe == 0 {
			return fmt.Errorf("create fifo %s: a non-FIFO file is in the way", path)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("create fifo %s: %w", path, err)
	}

	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return fmt.Errorf("create fifo %s: %w", path, err)
	}
	// mkfifo honours the umask; Nomad's FIFOs are exactly 0600.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod fifo %s: %w", path, err)
	}
	return nil
}

// unblockOpen releases a reader stuck in a blocking open of the FIFO by
// briefly opening its write end. A non-blocking write open fails with ENXIO
// when no reader is waiting, which is fine: then nobody is stuck.
func unblockOpen(path string) {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err == nil {
		_ = syscall.Close(fd)
	}
}
