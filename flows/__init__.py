"""Offline proof of the network paths, from the synthesized workspaces.

``flows.network`` reads the Terraform JSON that ``cdktf synth`` writes (one dict per
workspace) and models security groups and their rules, subnets, VPC route tables,
the Transit Gateway with its route tables, associations and propagations, the
Client VPN endpoint, private hosted zones and interface endpoints. It answers
``reachable(src, dst, port)`` and ``resolves(name, vpc)`` with the reason.
``flows.matrix`` lists every flow the system needs and every flow that must be
impossible; ``flows.render`` writes the matrix into docs/network.md and the
architecture diagram (docs/architecture.dot). Nothing here imports constructs.
"""
