package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// arrivalCurve returns the inverse of the arrival time's distribution
// over the window (both as fractions in [0, 1]) for a curve name:
//
//	uniform  constant density
//	linear   density rising linearly from 0 to the deadline
//	exp      density ∝ e^(steep·x): e^steep times denser at the deadline
func arrivalCurve(name string, steep float64) (func(u float64) float64, error) {
	switch name {
	case "uniform":
		return func(u float64) float64 { return u }, nil
	case "linear":
		return math.Sqrt, nil
	case "exp":
		if steep <= 0 {
			return nil, fmt.Errorf("-steep must be positive for the exp curve")
		}
		return func(u float64) float64 { return math.Log1p(u*math.Expm1(steep)) / steep }, nil
	}
	return nil, fmt.Errorf("unknown curve %q (want uniform, linear or exp)", name)
}

// arrivals returns n sorted arrival offsets within window.
func arrivals(seed uint64, n int, window time.Duration, curve string, steep float64) []time.Duration {
	inv, err := arrivalCurve(curve, steep)
	if err != nil {
		panic(err) // checked by Config.check
	}
	r := rand.New(rand.NewPCG(seed, 0xa771_7a1))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(inv(r.Float64()) * float64(window))
	}
	slices.Sort(out)
	return out
}
