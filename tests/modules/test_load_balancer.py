"""LoadBalancer construct: internal HTTPS ALB, redirect, readiness health check, certificate choice."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from modules.load_balancer import LoadBalancer, LoadBalancerProps
from modules.naming import Namer
from tests.support.synth import by_path, only, resources, synth_stack

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"


def props(**changes: Any) -> LoadBalancerProps:
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.0.0.0/16",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "hostname": "gitlab.example.com",
        "access_log_bucket": "acme-logs",
        "certificate_arn": CERT,
    }
    return LoadBalancerProps(**(values | changes))


def synth(**changes: Any) -> tuple[dict[str, Any], LoadBalancer]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    lb = LoadBalancer(scope, "gitlab-alb", props(**changes))
    TerraformOutput(scope, "dns_name", value=lb.dns_name)
    TerraformOutput(scope, "zone_id", value=lb.zone_id)
    return synth_stack(scope), lb


@pytest.fixture(scope="module")
def existing() -> tuple[dict[str, Any], LoadBalancer]:
    return synth(allowed_ingress_cidrs=["10.200.0.0/22"], allowed_security_group_ids=["sg-vpn"])


def test_internal_alb_drops_invalid_headers_logs_and_is_protected(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    alb = only(stack, "aws_lb")
    assert alb["internal"] is True
    assert alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is True
    assert alb["access_logs"] == {"bucket": "acme-logs", "prefix": "alb", "enabled": True}
    assert alb["subnets"] == ["subnet-a", "subnet-b"]
    name = next(iter(resources(stack, "aws_lb")))
    assert stack["output"]["dns_name"]["value"] == f"${{aws_lb.{name}.dns_name}}"
    assert stack["output"]["zone_id"]["value"] == f"${{aws_lb.{name}.zone_id}}"


def test_alb_created_after_the_given_log_bucket_policy() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    bucket_policy = S3BucketPolicy(scope, "log-policy", bucket="acme-logs", policy="{}")
    LoadBalancer(scope, "gitlab-alb", props(access_log_dependencies=[bucket_policy]))
    stack = synth_stack(scope)
    (policy_name,) = resources(stack, "aws_s3_bucket_policy")
    assert only(stack, "aws_lb")["depends_on"] == [f"aws_s3_bucket_policy.{policy_name}"]


def test_no_ordering_without_dependencies(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    assert "depends_on" not in only(stack, "aws_lb")


def test_https_listener_tls13_with_existing_certificate(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    https = by_path(stack, "aws_lb_listener", "https")
    assert https["port"] == 443
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificate_arn"] == CERT
    assert https["default_action"][0]["type"] == "forward"
    assert resources(stack, "aws_acm_certificate") == {}
    assert resources(stack, "aws_route53_record") == {}


def test_http_redirects_to_https(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    http = by_path(stack, "aws_lb_listener", "http-redirect")
    assert http["port"] == 80
    assert http["default_action"][0]["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}


def test_target_group_checks_readiness(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    group = only(stack, "aws_lb_target_group")
    assert group["target_type"] == "ip"
    assert group["port"] == 80
    assert group["health_check"]["path"] == "/-/readiness"
    assert group["health_check"]["matcher"] == "200"


def test_ingress_from_vpc_extra_cidrs_and_admitted_groups(existing: tuple[dict[str, Any], Any]) -> None:
    stack, _ = existing
    rules = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    sources = {(r["from_port"], r.get("cidr_ipv4") or r.get("referenced_security_group_id")) for r in rules}
    assert sources == {(port, source) for port in (443, 80) for source in ("10.0.0.0/16", "10.200.0.0/22", "sg-vpn")}


def test_dns_validated_certificate_in_the_configured_zone() -> None:
    stack, _ = synth(certificate_arn=None, validation_zone_id="Z123EXAMPLE")
    certificate = only(stack, "aws_acm_certificate")
    assert certificate["domain_name"] == "gitlab.example.com"
    assert certificate["validation_method"] == "DNS"
    record = only(stack, "aws_route53_record")
    assert record["zone_id"] == "Z123EXAMPLE"
    assert "domain_validation_options" in record["name"]
    validation = only(stack, "aws_acm_certificate_validation")
    assert https_certificate(stack) == "${" + f"aws_acm_certificate_validation.{name_of(stack)}.certificate_arn" + "}"
    assert validation["validation_record_fqdns"][0].endswith(".fqdn}")


def https_certificate(stack: dict[str, Any]) -> str:
    return str(by_path(stack, "aws_lb_listener", "https")["certificate_arn"])


def name_of(stack: dict[str, Any]) -> str:
    return next(iter(resources(stack, "aws_acm_certificate_validation")))


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_certificate_source(both: bool) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        props(validation_zone_id="Z123EXAMPLE" if both else None, certificate_arn=CERT if both else None)
