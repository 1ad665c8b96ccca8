package expiring

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestEntriesLapseAtTheirTime(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := New[string, int](10, c.now)
	m.Put("a", 1, c.t.Add(time.Minute))
	if v, ok := m.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v; want 1, true", v, ok)
	}
	c.t = c.t.Add(time.Minute)
	if _, ok := m.Get("a"); ok {
		t.Fatal("entry still returned at its lapse time")
	}
}

func TestAFullMapDropsTheOldestInsertion(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := New[int, int](3, c.now)
	until := c.t.Add(time.Hour)
	for i := range 3 {
		m.Put(i, i, until)
	}
	m.Put(0, 10, until) // replacing keeps the place in line
	m.Put(3, 3, until)
	if _, ok := m.Get(0); ok {
		t.Error("the oldest insertion survived a put into a full map")
	}
	for _, k := range []int{1, 2, 3} {
		if _, ok := m.Get(k); !ok {
			t.Errorf("entry %d dropped", k)
		}
	}
	if m.Len() != 3 {
		t.Errorf("Len = %d, want 3", m.Len())
	}
	for i := range 100 {
		m.Put(100+i, i, until)
	}
	if m.Len() != 3 || cap(m.order) > 4*3 {
		t.Errorf("after 100 more puts: Len %d, order capacity %d; want 3 and at most 12", m.Len(), cap(m.order))
	}
	m.Clear()
	if m.Len() != 0 {
		t.Errorf("Len after Clear = %d", m.Len())
	}
}
