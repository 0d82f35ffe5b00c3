package optim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// paramKey is how the state of a parameter is keyed: its name, or its index among all
// parameters of all groups (in group order) if it has none.
func paramKey(v *autograd.Var, index int) string {
	if n := v.Name(); n != "" {
		return n
	}
	return strconv.Itoa(index)
}

// StateDict returns a copy of the optimizer state: for every parameter that has been
// stepped, "state.<param>.<buffer>" for each of its buffers and, for optimizers that
// count steps, "state.<param>.step" as a 0-dimensional tensor. Step counts are exact up
// to 2^24.
func (b *base) StateDict() map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	index := 0
	for gi, g := range b.groups {
		for pi, v := range g.Params {
			st := &b.slots[gi][pi]
			prefix := "state." + paramKey(v, index) + "."
			index++
			has := st.step > 0
			for i, name := range b.bufNames {
				if t := st.bufs[i]; t != nil {
					sd[prefix+name] = t.Clone()
					has = true
				}
			}
			if has && b.hasStep {
				sd[prefix+"step"] = tensor.Scalar(float32(st.step))
			}
		}
	}
	return sd
}

// LoadStateDict replaces the optimizer state with sd, as written by StateDict. A
// parameter without keys in sd starts afresh. It returns an error, and changes
// nothing, if sd has a key for an unknown parameter or buffer, a buffer whose shape
// does not match its parameter, a step that is not a non-negative integer, or a
// parameter whose state is incomplete.
func (b *base) LoadStateDict(sd map[string]*tensor.Tensor) error {
	type loc struct{ gi, pi int }
	where := map[string]loc{}
	index := 0
	for gi, g := range b.groups {
		for pi, v := range g.Params {
			where[paramKey(v, index)] = loc{gi, pi}
			index++
		}
	}
	fresh := make([][]slot, len(b.groups))
	for gi, g := range b.groups {
		fresh[gi] = make([]slot, len(g.Params))
	}
	touched := map[loc]bool{}
	hasStep := map[loc]bool{}
	var problems []string
	keys := make([]string, 0, len(sd))
	for k := range sd {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t := sd[k]
		rest, ok := strings.CutPrefix(k, "state.")
		dot := strings.LastIndexByte(rest, '.')
		if !ok || dot < 0 {
			problems = append(problems, fmt.Sprintf("unexpected key %q", k))
			continue
		}
		param, field := rest[:dot], rest[dot+1:]
		l, ok := where[param]
		if !ok {
			problems = append(problems, fmt.Sprintf("key %q names no parameter", k))
			continue
		}
		if t == nil {
			problems = append(problems, fmt.Sprintf("key %q holds no tensor", k))
			continue
		}
		st := &fresh[l.gi][l.pi]
		v := b.groups[l.gi].Params[l.pi]
		if field == "step" && b.hasStep {
			s := float64(0)
			if t.Numel() == 1 {
				s = float64(t.Data()[0])
			}
			if t.Numel() != 1 || s < 0 || s != math.Trunc(s) {
				problems = append(problems, fmt.Sprintf("%s: want a non-negative integer step in a 1-element tensor", k))
				continue
			}
			st.step = int(s)
			touched[l], hasStep[l] = true, true
			continue
		}
		i := slices.Index(b.bufNames, field)
		if i < 0 {
			problems = append(problems, fmt.Sprintf("unexpected key %q", k))
			continue
		}
		if !tensor.SameShape(t, v.Value()) {
			problems = append(problems, fmt.Sprintf("%s: shape %s, parameter %s", k,
				tensor.ShapeString(t.Shape()), tensor.ShapeString(v.Value().Shape())))
			continue
		}
		st.bufs[i] = t.Clone()
		touched[l] = true
	}
	for l := range touched {
		st := &fresh[l.gi][l.pi]
		key := paramKey(b.groups[l.gi].Params[l.pi], b.globalIndex(l.gi, l.pi))
		if b.hasStep && !hasStep[l] {
			problems = append(problems, fmt.Sprintf("parameter %q has state but no step", key))
			continue
		}
		if b.required == nil || (b.hasStep && st.step == 0) {
			continue
		}
		for i, name := range b.bufNames {
			if st.bufs[i] == nil && b.required(name) {
				problems = append(problems, fmt.Sprintf("parameter %q has no %s", key, name))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("optim: %s: state dict does not match the optimizer: %s", b.op, strings.Join(problems, "; "))
	}
	b.slots = fresh
	return nil
}

// globalIndex returns the index of parameter pi of group gi among all parameters.
func (b *base) globalIndex(gi, pi int) int {
	n := pi
	for _, g := range b.groups[:gi] {
		n += len(g.Params)
	}
	return n
}
