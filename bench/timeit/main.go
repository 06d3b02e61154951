// Command timeit runs a command and writes its wall time in seconds and
// its peak resident set size in KiB, "%e %M" as GNU time prints them, to a
// file. bench/run.sh uses it where /usr/bin/time is missing or is not GNU
// time. The peak RSS is the largest of the command and its waited-for
// descendants (getrusage's rule), as with GNU time.
//
//	timeit -o FILE command [args...]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "file to write \"SECONDS MAXRSS_KB\" to")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit -o FILE command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			fmt.Fprintln(os.Stderr, "timeit:", err)
			os.Exit(127)
		}
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) // KiB on Linux
	}
	if err := os.WriteFile(*out, fmt.Appendf(nil, "%.2f %d\n", wall.Seconds(), rss), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
	os.Exit(code)
}
