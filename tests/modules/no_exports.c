/* no_exports.c: a shared library without the `sb_module_exports` symbol (not a module). */
int not_a_module(void);
int not_a_module(void) { return 42; }
