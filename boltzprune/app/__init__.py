"""The application: experiments (one folder each: config, run, report, figures), run
directories, sweeps, HTML pages and the command line. The library below
(``boltzprune.models``, ``training``, ``sampling``, ``fisher``, ``pruning``, ``evaluate``,
``data``, ``io``) never imports it."""
