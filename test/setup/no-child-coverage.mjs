// Test files spawn LeakGuard itself (serve, check, runners, the simulators) through tsx.
// tap's process hook would record their coverage too, with tsx's source maps; merged with
// the test processes' (other source maps of the same files) it turns files into a false
// 100% or drops them. Coverage is measured in the test processes only: this process has
// already started its own recording, and the switch below is read by each child at start.
process.env._TAPJS_PROCESSINFO_COVERAGE_ = '0';
delete process.env.NODE_V8_COVERAGE;
