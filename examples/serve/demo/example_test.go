package demo_test

import (
	"context"
	"fmt"

	"github.com/genblocks/genblocks/examples/serve/demo"
	"github.com/genblocks/genblocks/examples/serve/server"
)

func ExampleBlobs() {
	imgs, err := demo.Blobs{}.Sample(context.Background(), server.ImageParams{N: 2, Seed: 1, Steps: 10, Class: 3, HasClass: true})
	fmt.Println(len(imgs), imgs[0].Bounds(), err)
	// Output: 2 (0,0)-(28,28) <nil>
}

func ExampleNewCharMLP() {
	m, err := demo.NewCharMLP(context.Background(), "abababababababab", demo.CharMLPConfig{Context: 2, Hidden: 16, Steps: 200})
	if err != nil {
		panic(err)
	}
	var out string
	_, err = m.Generate(context.Background(), "ab", server.TextParams{MaxTokens: 6, Temperature: 0}, func(s string) error {
		out += s
		return nil
	})
	fmt.Println(m.Vocab(), out, err)
	// Output: 2 ababab <nil>
}
