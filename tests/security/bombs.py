"""Hostile templates shared by the security suite."""

LOOP = "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}" \
       "{% endfor %}"  # a billion steps, each range within the sandbox's bound
DOUBLING = "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
