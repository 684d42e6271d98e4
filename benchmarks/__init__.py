"""Speed, request-count and memory benchmarks; run each as a script."""
