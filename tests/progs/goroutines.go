// Goroutines on threads (gccgo: libgo runs them on pthreads): a WaitGroup,
// a Mutex, channels, sleeps, a Ticker, select with time.After.
package main

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := []int{}
	ch := make(chan int, 10)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			time.Sleep(time.Duration(n%5) * time.Millisecond)
			s := 0
			for k := 0; k <= n*1000; k++ {
				s += k
			}
			mu.Lock()
			results = append(results, s%9973)
			mu.Unlock()
			ch <- n
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for n := range ch {
		sum += n
	}
	sort.Ints(results)
	fmt.Println("goroutines done, sum", sum, "results", results)
	t0 := time.Now()
	time.Sleep(50 * time.Millisecond)
	fmt.Println("slept at least 50ms:", time.Since(t0) >= 50*time.Millisecond)
	tick := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tick.C
		fmt.Println("tick", i)
	}
	tick.Stop()
	sel := make(chan string)
	go func() { time.Sleep(20 * time.Millisecond); sel <- "message" }()
	select {
	case m := <-sel:
		fmt.Println("select got", m)
	case <-time.After(5 * time.Second):
		fmt.Println("timeout")
	}
}
