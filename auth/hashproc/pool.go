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
	// Workers is how many processes to run: as many as passwords may be hashed at once
	// (regauth serve runs one per CPU, the auth store's default bound).
	Workers int
	// Path and Args start one worker (Args includes the name as Args[0], as in exec.Cmd): a
	// program whose only job is to call Work with its standard input and output. regauth
	// serve starts /proc/self/exe, its own binary even after an upgrade replaced the file,
	// as "regauth hash-worker". Env is all a worker gets, never this process's environment,
	// which may hold secrets.
	Path string
	Args []string
	Env  []string
	// Stderr receives what workers write there (nil: discarded).
	Stderr io.Writer
	// Fallback checks a password when no worker can: none is idle, or the one asked is too
	// slow (see Patience).
	Fallback auth.Hasher
	// Patience is how long a check waits for a worker that gets almost no CPU (under 2 % of a
	// core) before the fallback takes over (0: 100 ms). A worker that is making progress is
	// waited for up to ten times as long.
	Patience time.Duration
	Logger   *slog.Logger
}

const (
	// restartDelay is how long a pool leaves a worker that failed to start before trying
	// again; meanwhile the fallback checks every password.
	restartDelay = 10 * time.Second
	// startTimeout bounds how long a new worker may take to say it is ready.
	startTimeout = 5 * time.Second
	// patienceRounds bounds the wait for a worker that is making progress, in patiences.
	patienceRounds = 10
)

// Pool implements auth.Hasher with worker processes at idle priority.
type Pool struct {
	opts Options
	log  *slog.Logger
	idle chan *worker

	mu        sync.Mutex
	all       map[*worker]struct{} // every live worker, idle or busy
	starting  int                  // workers being started in the background
	launching map[*worker]struct{} // started processes not yet ready, for Close to stop
	closed    bool
	retryAt   time.Time      // no start before, after one failed
	tasks     sync.WaitGroup // background starts and reclaims; added to only while open
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
	if opts.Workers <= 0 || opts.Path == "" || len(opts.Args) == 0 || opts.Fallback == nil {
		return nil, errors.New("hash workers: want Workers > 0, Path, Args and Fallback")
	}
	if opts.Patience <= 0 {
		opts.Patience = 100 * time.Millisecond
	}
	p := &Pool{opts: opts, log: opts.Logger, idle: make(chan *worker, opts.Workers),
		all: map[*worker]struct{}{}, launching: map[*worker]struct{}{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for range opts.Workers {
		w, err := p.launch()
		switch {
		case errors.Is(err, errNotReadyInTime):
			// Started but starved (a busy boot): not a reason to give up on workers for the
			// process's life. Later checks start it again.
			p.log.Warn("hash worker slow to start; trying again later", slog.Any("error", err))
			p.retryAt = time.Now().Add(restartDelay)
		case err != nil:
			p.Close()
			return nil, err
		default:
			p.all[w] = struct{}{}
			p.idle <- w
		}
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
	case errors.Is(err, errSlow):
		// The machine is busy with other work: check here, and let the worker finish.
		p.log.Debug("hash worker too slow; checking the password in process", slog.Int("pid", w.cmd.Process.Pid))
		p.inBackground(func() { p.reclaim(w) }, w.stop)
	default:
		p.lose(w, err)
	}
	return p.opts.Fallback.CheckPassword(hash, pw)
}

// Close stops every worker, started or starting, and waits for the pool's background work to
// end. Checks after it go to the fallback.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	var workers []*worker
	for _, set := range []map[*worker]struct{}{p.all, p.launching} {
		for w := range set {
			workers = append(workers, w)
		}
	}
	p.all = map[*worker]struct{}{}
	drain(p.idle) // every idle worker is in all; nothing is sent to idle once closed
	p.mu.Unlock()
	for _, w := range workers {
		w.stop() // a check or reclaim reading from it then ends, and so does a launch
	}
	p.tasks.Wait()
}

func drain(idle chan *worker) {
	for {
		select {
		case <-idle:
		default:
			return
		}
	}
}

// errSlow says a worker did not answer in time: see ask.
var errSlow = errors.New("hash worker too slow")

// ask sends one check to w and waits for its answer. It returns errSlow when w ran for less
// than a fiftieth of a patience during a whole one, or has not answered after patienceRounds:
// the kernel gives SCHED_IDLE threads only time nothing else wants, and on a machine busy with
// other work there may be none for a while. (Beside regauth serving 5,000 warm tokens/s on
// two cores, the two workers got 25–37 % of a core each.)
func (p *Pool) ask(w *worker, hash string, pw []byte) (bool, error) {
	pid := w.cmd.Process.Pid
	// One write of at most PIPE_BUF bytes to an empty pipe: it never blocks, whatever the
	// worker is doing.
	w.buf = appendRequest(w.buf[:0], hash, pw)
	_, err := w.in.Write(w.buf)
	clear(w.buf)
	if err != nil {
		return false, fmt.Errorf("hash worker %d: sending a request: %w", pid, err)
	}
	used, err := processCPU(pid)
	if err != nil {
		return false, fmt.Errorf("hash worker %d: %w", pid, err)
	}
	var answer [1]byte
	for range patienceRounds {
		if err := w.out.SetReadDeadline(time.Now().Add(p.opts.Patience)); err != nil {
			return false, fmt.Errorf("hash worker %d: %w", pid, err)
		}
		_, err := io.ReadFull(w.out, answer[:])
		if err == nil {
			return answer[0] == 1, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return false, fmt.Errorf("hash worker %d: reading the answer: %w", pid, err)
		}
		now, err := processCPU(pid)
		if err != nil {
			return false, fmt.Errorf("hash worker %d: %w", pid, err)
		}
		if now-used < p.opts.Patience/50 {
			return false, errSlow
		}
		used = now
	}
	return false, errSlow
}

// reclaimPatience is how long a worker being reclaimed may go without running at all before
// it is taken for hung (stopped, say) and replaced.
const reclaimPatience = time.Minute

// reclaim waits for the answer of a worker that was too slow, then returns it to the pool.
// Meanwhile the pool has one worker fewer, and checks beyond go to the fallback.
func (p *Pool) reclaim(w *worker) {
	pid := w.cmd.Process.Pid
	used, err := processCPU(pid)
	var answer [1]byte
	for err == nil {
		if err = w.out.SetReadDeadline(time.Now().Add(reclaimPatience)); err != nil {
			break
		}
		if _, err = io.ReadFull(w.out, answer[:]); err == nil {
			p.giveBack(w)
			return
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		var now time.Duration
		if now, err = processCPU(pid); err == nil && now == used {
			err = fmt.Errorf("did not run for %v", reclaimPatience)
		}
		used = now
	}
	p.lose(w, fmt.Errorf("hash worker %d: waiting for a late answer: %w", pid, err))
}

// take returns an idle worker, or nil. With none idle and fewer than Workers alive (some
// failed), it starts one in the background for later checks.
func (p *Pool) take() *worker {
	select {
	case w := <-p.idle:
		return w
	default:
	}
	p.mu.Lock()
	wanted := len(p.all)+p.starting < p.opts.Workers && !time.Now().Before(p.retryAt)
	if wanted {
		p.starting++
	}
	p.mu.Unlock()
	if wanted {
		p.inBackground(p.replace, func() {
			p.mu.Lock()
			p.starting--
			p.mu.Unlock()
		})
	}
	return nil
}

// replace starts a worker for one that was lost.
func (p *Pool) replace() {
	w, err := p.launch()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starting--
	switch {
	case p.closed:
		if w != nil {
			w.stop()
		}
	case err != nil:
		p.retryAt = time.Now().Add(restartDelay)
		p.log.Warn("hash worker did not start; checking passwords in process for now", slog.Any("error", err))
	default:
		p.all[w] = struct{}{}
		p.idle <- w // never blocks: idle holds only workers in all, at most Workers
	}
}

// inBackground runs task in a goroutine that Close waits for, or, once the pool is closed,
// runs instead (synchronously) what undoes having wanted it.
func (p *Pool) inBackground(task, instead func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		instead()
		return
	}
	p.tasks.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.tasks.Done()
		task()
	}()
}

// giveBack returns w to the idle workers, or stops it if the pool was closed meanwhile.
func (p *Pool) giveBack(w *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, live := p.all[w]; !live {
		w.stop()
		return
	}
	p.idle <- w // never blocks: idle holds only workers in all, at most Workers
}

// lose stops a worker that failed; the next check that finds no worker idle starts another.
func (p *Pool) lose(w *worker, err error) {
	p.mu.Lock()
	delete(p.all, w)
	closed := p.closed
	p.mu.Unlock()
	w.stop()
	if !closed {
		p.log.Warn("hash worker failed; starting another when needed", slog.Any("error", err))
	}
}

// launch starts one worker and waits until it says it is ready. It holds no lock: starting a
// process takes milliseconds, and a worker that does not get ready takes startTimeout.
func (p *Pool) launch() (*worker, error) {
	cmd := &exec.Cmd{Path: p.opts.Path, Args: p.opts.Args, Env: append([]string{}, p.opts.Env...), Stderr: p.opts.Stderr}
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
	w := &worker{cmd: cmd, in: in, out: out, buf: make([]byte, 0, maxRequest+headerSize)}
	p.mu.Lock()
	p.launching[w] = struct{}{}
	p.mu.Unlock()
	err = w.awaitReady()
	p.mu.Lock()
	delete(p.launching, w)
	p.mu.Unlock()
	if err != nil {
		w.stop()
		return nil, fmt.Errorf("hash worker %s: %w", p.opts.Path, err)
	}
	// ask follows a worker's progress by its CPU-time clock: a system without one gets no workers.
	if _, err := processCPU(cmd.Process.Pid); err != nil {
		w.stop()
		return nil, fmt.Errorf("hash worker: %w", err)
	}
	return w, nil
}

// errNotReadyInTime says a worker started but did not say it was ready within startTimeout.
var errNotReadyInTime = errors.New("not ready in time")

// awaitReady waits for the worker's first byte, which says it runs at idle priority; a worker
// that cannot (a seccomp filter, say) exits instead, and the pool falls back.
func (w *worker) awaitReady() error {
	if err := w.out.SetReadDeadline(time.Now().Add(startTimeout)); err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(w.out, b[:]); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("%w (%v)", errNotReadyInTime, startTimeout)
		}
		return fmt.Errorf("not ready: %w", err)
	}
	if b[0] != ready {
		return fmt.Errorf("not ready: said %q", b[0])
	}
	return nil
}

// stop ends the worker at once (closing its input would end it too, after the check it may
// be running) and reaps it.
func (w *worker) stop() {
	w.stopOnce.Do(func() {
		_ = w.in.Close()
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
		_ = w.out.Close()
	})
}
