#!/usr/bin/env node
// The `tensorgate` command. The CLI itself is compiled TypeScript under dist/.
import '../dist/cli/main.js';
