package hashproc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/regauth/regauth/auth"
)

// Options configures a Pool.
type Options struct {
	// Workers is how many processes to run; regauth serve runs one per hash slot.
	Workers int
	// Path, Args and Env start one worker: a program whose only job is to call Work with its
	// standard input and output. regauth serve starts its own binary as "regauth hash-worker".
	// Env is all the worker gets: never this process's environment, which may hold secrets.
	Path string
	Args []string
	Env  []string
	// Stderr receives what workers write there (nil: discarded).
	Stderr io.Writer
	// Fallback checks a password when no worker can: none idle, one that does not start, or
	// one that has not had the CPU for Patience.
	Fallback auth.Hasher
	// Patience is how long a check waits for a worker that gets almost no CPU (under 2 % of a
	// core) before the fallback takes over (0: 100 ms). A worker that is making progress is
	// waited for as long as it takes.
	Patience time.Duration
	Logger   *slog.Logger
}

// restartDelay is how long a pool leaves a worker that failed to start before trying again;
// meanwhile the fallback checks every password.
const restartDelay = 10 * time.Second

// Pool implements auth.Hasher with worker processes at idle priority.
type Pool struct {
	opts Options
	log  *slog.Logger
	idle chan *worker

	mu      sync.Mutex
	all     map[*worker]struct{} // every live worker, idle or not
	closed  bool
	retryAt time.Time
}

var _ auth.Hasher = (*Pool)(nil)

// worker is one process and the two pipes to it.
type worker struct {
	cmd *exec.Cmd
	in  *os.File // its standard input
	out *os.File // its standard output
	buf []byte   // the request being sent; cleared after

	stopOnce sync.Once
}

// New starts every worker. It fails if one does not start, having stopped the others.
func New(opts Options) (*Pool, error) {
	if opts.Workers <= 0 || opts.Path == "" || opts.Fallback == nil {
		return nil, errors.New("hash workers: want Workers > 0, Path and Fallback")
	}
	if opts.Patience <= 0 {
		opts.Patience = 100 * time.Millisecond
	}
	p := &Pool{opts: opts, log: opts.Logger, idle: make(chan *worker, opts.Workers), all: map[*worker]struct{}{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for range opts.Workers {
		w, err := p.start()
		if err != nil {
			p.Close()
			return nil, err
		}
		p.idle <- w
	}
	return p, nil
}

// CheckPassword implements auth.Hasher.
func (p *Pool) CheckPassword(hash string, pw []byte) bool {
	if len(hash)+len(pw) > maxRequest {
		return p.opts.Fallback.CheckPassword(hash, pw)
	}
	w := p.take()
	if w == nil {
		return p.opts.Fallback.CheckPassword(hash, pw)
	}
	ok, err := p.ask(w, hash, pw)
	switch {
	case err == nil:
		p.giveBack(w)
		return ok
	case errors.Is(err, errStarved):
		// The machine is busy with other work: check here, and let the worker finish.
		p.log.Debug("hash worker gets no CPU; checking the password in process", slog.Int("pid", w.cmd.Process.Pid))
		go p.reclaim(w)
	default:
		p.lose(w, err)
	}
	return p.opts.Fallback.CheckPassword(hash, pw)
}

// Close stops every worker: it closes their input, which ends them, and kills what is left.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	workers := make([]*worker, 0, len(p.all))
	for w := range p.all {
		workers = append(workers, w)
	}
	p.all = map[*worker]struct{}{}
	p.mu.Unlock()
	for _, w := range workers {
		w.stop()
	}
}

var errStarved = errors.New("hash worker gets no CPU")

// ask sends one check to w and waits for its answer. It returns errStarved when w ran for
// less than a fiftieth of a whole patience: the kernel gives SCHED_IDLE threads only time
// nothing else wants, and on a machine busy with other work there may be none for a while.
// (Beside regauth serving 5,000 warm tokens/s on two cores, workers got 8–19 % of a core.)
func (p *Pool) ask(w *worker, hash string, pw []byte) (bool, error) {
	w.buf = appendRequest(w.buf[:0], hash, pw)
	_, err := w.in.Write(w.buf)
	clear(w.buf)
	if err != nil {
		return false, fmt.Errorf("sending a request: %w", err)
	}
	used, err := processCPU(w.cmd.Process.Pid)
	if err != nil {
		return false, err
	}
	var answer [1]byte
	for {
		if err := w.out.SetReadDeadline(time.Now().Add(p.opts.Patience)); err != nil {
			return false, err
		}
		_, err := io.ReadFull(w.out, answer[:])
		if err == nil {
			return answer[0] == 1, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return false, fmt.Errorf("reading the answer: %w", err)
		}
		now, err := processCPU(w.cmd.Process.Pid)
		if err != nil {
			return false, err
		}
		if now-used < p.opts.Patience/50 {
			return false, errStarved
		}
		used = now
	}
}

// reclaim waits, without a deadline, for the answer of a worker that was starved, then returns
// it to the pool. Meanwhile the pool has one worker fewer, and checks beyond go to the
// fallback.
func (p *Pool) reclaim(w *worker) {
	var answer [1]byte
	err := w.out.SetReadDeadline(time.Time{})
	if err == nil {
		_, err = io.ReadFull(w.out, answer[:])
	}
	if err != nil {
		p.lose(w, fmt.Errorf("reading a late answer: %w", err))
		return
	}
	p.giveBack(w)
}

// take returns an idle worker, starting one if fewer than Workers are alive, or nil.
func (p *Pool) take() *worker {
	select {
	case w := <-p.idle:
		return w
	default:
	}
	p.mu.Lock()
	busy := p.closed || len(p.all) >= p.opts.Workers || time.Now().Before(p.retryAt)
	p.mu.Unlock()
	if busy {
		return nil
	}
	w, err := p.start()
	if err != nil {
		p.log.Warn("hash worker did not start; checking passwords in process", slog.Any("error", err))
		p.mu.Lock()
		p.retryAt = time.Now().Add(restartDelay)
		p.mu.Unlock()
		return nil
	}
	return w
}

// giveBack returns w to the idle workers, or stops it if the pool was closed meanwhile.
func (p *Pool) giveBack(w *worker) {
	p.mu.Lock()
	_, live := p.all[w]
	p.mu.Unlock()
	if !live {
		w.stop()
		return
	}
	p.idle <- w // never blocks: at most Workers are alive
}

// lose stops a worker that failed; a later check starts another.
func (p *Pool) lose(w *worker, err error) {
	p.mu.Lock()
	delete(p.all, w)
	closed := p.closed
	p.mu.Unlock()
	w.stop()
	if !closed {
		p.log.Warn("hash worker failed; starting another when needed", slog.Int("pid", w.cmd.Process.Pid), slog.Any("error", err))
	}
}

// start starts one worker and counts it among the live ones.
func (p *Pool) start() (*worker, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("hash workers: closed")
	}
	if len(p.all) >= p.opts.Workers {
		return nil, errors.New("hash workers: all started")
	}
	cmd := exec.Command(p.opts.Path, p.opts.Args...)
	cmd.Env = append([]string{}, p.opts.Env...) // never nil: nil would pass this process's
	cmd.Stderr = p.opts.Stderr
	// The worker ends when its input does, which the kernel closes if regauth dies. (Not
	// Pdeathsig: it fires when the thread that started the child ends, and Go ends threads.)
	stdin, in, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("hash worker: %w", err)
	}
	out, stdout, err := os.Pipe()
	if err != nil {
		stdin.Close()
		in.Close()
		return nil, fmt.Errorf("hash worker: %w", err)
	}
	cmd.Stdin, cmd.Stdout = stdin, stdout
	err = cmd.Start()
	stdin.Close() // the worker's ends: it has its own copies now
	stdout.Close()
	if err != nil {
		in.Close()
		out.Close()
		return nil, fmt.Errorf("hash worker: starting %s: %w", p.opts.Path, err)
	}
	w := &worker{cmd: cmd, in: in, out: out, buf: make([]byte, 0, 1024)}
	if err := w.awaitReady(); err != nil {
		w.stop()
		return nil, fmt.Errorf("hash worker %s: %w", p.opts.Path, err)
	}
	p.all[w] = struct{}{}
	return w, nil
}

// startTimeout bounds how long a new worker may take to say it is ready.
const startTimeout = 5 * time.Second

// awaitReady waits for the worker's first byte, which says it runs at idle priority; a worker
// that cannot (a seccomp filter, say) exits instead, and the pool falls back.
func (w *worker) awaitReady() error {
	if err := w.out.SetReadDeadline(time.Now().Add(startTimeout)); err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(w.out, b[:]); err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	if b[0] != ready {
		return fmt.Errorf("not ready: said %q", b[0])
	}
	return nil
}

// stop ends the worker: closing its input ends it, and a kill makes sure.
func (w *worker) stop() {
	w.stopOnce.Do(func() {
		_ = w.in.Close()
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
		_ = w.out.Close()
	})
}
