//go:build tools

// This file pins the module's dependencies while the code that imports them
// is being written; it is never built.
package main

import (
	_ "github.com/andybalholm/brotli"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coder/websocket"
	_ "github.com/google/uuid"
	_ "github.com/maxence-charriere/go-app/v10/pkg/app"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "go.uber.org/goleak"
)
