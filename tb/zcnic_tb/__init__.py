"""zcnic testbench package: the bridge endpoint, the Verilator build, generated ABI constants."""
