"""Code for tests, benchmarks and scripts only (SYNTHETIC data, a headless Chromium driver);
nothing in the runtime package imports it."""
