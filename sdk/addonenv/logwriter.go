package addonenv

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogFlushInterval is how long a [LogWriter] holds log lines at most.
const LogFlushInterval = 100 * time.Millisecond

// LogWriter batches log lines for w: it writes them when its buffer fills
// and at least every [LogFlushInterval], one write system call a batch
// instead of one a line. Under load the request log's writes are most of
// what logging costs an add-on (one line per request); batched, a crash
// loses at most the last interval's lines. Close flushes and stops it:
//
//	logs := addonenv.NewLogWriter(os.Stderr)
//	defer logs.Close()
//	logger := slog.New(slog.NewTextHandler(logs, nil))
//
// It is safe for concurrent use.
type LogWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	done chan struct{}
	wg   sync.WaitGroup
}

// NewLogWriter returns a LogWriter for w and starts its flushing.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{buf: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	l.wg.Add(1)
	go l.flushEvery(LogFlushInterval)
	return l
}

// Write buffers p, a log line.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Flush writes what is buffered.
func (l *LogWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

// Close stops the flushing and writes what is buffered. Lines written
// after Close are buffered until the next Flush.
func (l *LogWriter) Close() error {
	select {
	case <-l.done:
	default:
		close(l.done)
		l.wg.Wait()
	}
	return l.Flush()
}

func (l *LogWriter) flushEvery(d time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = l.Flush()
		case <-l.done:
			return
		}
	}
}
