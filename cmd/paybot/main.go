package main

func main() {}

var _ = []platformSetup{setupSlack, setupDiscord}
