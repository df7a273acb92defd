package main

// The README's first command sanitizes these generated examples.
//go:generate go run ../../testdata/gen/examples -out ../../testdata/examples
