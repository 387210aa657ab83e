"""Data tests declared in specs, compiled to SQL and run against a warehouse (see README.md)."""

from c360_compiler.datatests.build import DataTest, compile_tests
from c360_compiler.datatests.run import TestReport, TestResult, run_tests

__all__ = ["DataTest", "TestReport", "TestResult", "compile_tests", "run_tests"]
