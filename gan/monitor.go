package gan

import (
	"fmt"
	"math"
	"strings"

	"github.com/genblocks/genblocks/tensor"
)

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	// Classes is the number of classes the classifier tells apart.
	Classes int
	// Classify maps samples (N,…) to class scores (N,Classes): logits or
	// probabilities, any function (a trained classifier module run on NoGrad input, a
	// nearest-mode rule). Required.
	Classify func(x *tensor.Tensor) *tensor.Tensor
	// Logits says Classify returns logits (softmax is applied); otherwise it returns
	// probabilities.
	Logits bool
	// Features maps samples to feature vectors (N,F) for the diversity score; nil means
	// the flattened samples.
	Features func(x *tensor.Tensor) *tensor.Tensor
	// MinShare is the share of samples a class needs to count as covered; 0 means a
	// fifth of the uniform share, 0.2/Classes.
	MinShare float64
	// MinConfidence, when positive, leaves samples whose top class probability is
	// below it out of the counts (they are neither class).
	MinConfidence float64
}

// Coverage is what a Monitor saw in one batch of generated samples.
type Coverage struct {
	Step      int
	Counts    []int     // confident samples per class
	Shares    []float64 // Counts over all samples
	Covered   int       // classes with at least MinShare of the samples
	Entropy   float64   // entropy of the class histogram over log(Classes): 1 is uniform
	Diversity float64   // mean pairwise distance of the samples' features
	Warning   string    // non-empty when coverage dropped
}

// String formats the coverage on one line.
func (c Coverage) String() string {
	var sh []string
	for _, s := range c.Shares {
		sh = append(sh, fmt.Sprintf("%.0f", 100*s))
	}
	s := fmt.Sprintf("coverage %d/%d entropy %.3f diversity %.3f shares%% [%s]",
		c.Covered, len(c.Counts), c.Entropy, c.Diversity, strings.Join(sh, " "))
	if c.Warning != "" {
		s += " WARNING: " + c.Warning
	}
	return s
}

// Monitor watches for mode collapse: it classifies generated samples and reports how
// many classes they cover, the entropy of the class histogram and a diversity score,
// and warns when coverage drops below the best seen so far.
type Monitor struct {
	Cfg     MonitorConfig
	History []Coverage
	best    int
}

// NewMonitor returns a monitor. It panics without a classifier or classes.
func NewMonitor(cfg MonitorConfig) *Monitor {
	if cfg.Classify == nil || cfg.Classes <= 0 {
		tensor.Panicf("gan.NewMonitor", "need a classifier and a positive number of classes, got %d", cfg.Classes)
	}
	if cfg.MinShare == 0 {
		cfg.MinShare = 0.2 / float64(cfg.Classes)
	}
	return &Monitor{Cfg: cfg}
}

// Check classifies samples (N,…) generated at step, appends the result to History and
// returns it. It panics if the classifier's output is not (N,Classes).
func (m *Monitor) Check(step int, samples *tensor.Tensor) Coverage {
	n, k := samples.Size(0), m.Cfg.Classes
	scores := m.Cfg.Classify(samples)
	if s := scores.Shape(); len(s) != 2 || s[0] != n || s[1] != k {
		tensor.Panicf("gan.Monitor.Check", "classifier gave %s for %d samples of %d classes", tensor.ShapeString(s), n, k)
	}
	if m.Cfg.Logits {
		scores = tensor.Softmax(scores, 1)
	}
	c := Coverage{Step: step, Counts: make([]int, k), Shares: make([]float64, k)}
	p := scores.Data()
	for i := range n {
		row := p[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if float64(row[best]) >= m.Cfg.MinConfidence {
			c.Counts[best]++
		}
	}
	for j, cnt := range c.Counts {
		c.Shares[j] = float64(cnt) / float64(n)
		if c.Shares[j] >= m.Cfg.MinShare {
			c.Covered++
		}
	}
	c.Entropy = histogramEntropy(c.Counts)
	feats := samples.Reshape(n, -1)
	if m.Cfg.Features != nil {
		feats = m.Cfg.Features(samples)
	}
	c.Diversity = Diversity(feats)
	if c.Covered < m.best {
		var missing []string
		for j, s := range c.Shares {
			if s < m.Cfg.MinShare {
				missing = append(missing, fmt.Sprint(j))
			}
		}
		c.Warning = fmt.Sprintf("possible mode collapse: coverage dropped from %d to %d classes (missing %s)",
			m.best, c.Covered, strings.Join(missing, ", "))
	}
	m.best = max(m.best, c.Covered)
	m.History = append(m.History, c)
	return c
}

// histogramEntropy returns the entropy of counts normalised by log(len(counts)).
func histogramEntropy(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(counts) < 2 {
		return 0
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			h -= p * math.Log(p)
		}
	}
	return h / math.Log(float64(len(counts)))
}

// Diversity returns the mean Euclidean distance between all pairs of rows of features
// (N,F), a simple mode-collapse score: it falls towards 0 as samples become alike. It
// panics unless features is 2-D with at least 2 rows.
func Diversity(features *tensor.Tensor) float64 {
	if features.Dim() != 2 || features.Size(0) < 2 {
		tensor.Panicf("gan.Diversity", "features %s; want (N,F) with N ≥ 2", tensor.ShapeString(features.Shape()))
	}
	n, f := features.Size(0), features.Size(1)
	d := features.Data()
	var sum float64
	for i := range n {
		a := d[i*f : (i+1)*f]
		for j := i + 1; j < n; j++ {
			b := d[j*f : (j+1)*f]
			var s float64
			for t, x := range a {
				e := float64(x - b[t])
				s += e * e
			}
			sum += math.Sqrt(s)
		}
	}
	return sum / float64(n*(n-1)/2)
}
