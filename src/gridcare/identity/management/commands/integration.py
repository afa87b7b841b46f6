"""``gridcare integration create|rotate|revoke|list``: integration credentials from the shell.

The token and signing key of ``create`` and ``rotate`` are printed once and cannot be shown
again (the token is stored hashed). Shell operations have no acting user.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.identity.integrations import ApiScope, IssuedCredentials, find_integration
from gridcare.identity.models import Integration, IntegrationKind
from gridcare.identity.operations import (
    create_integration,
    revoke_integration,
    rotate_integration_credentials,
)
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit


class Command(BaseCommand):
    help = "Manage integrations (bank, AMI, SMS gateway, payment provider) and their API credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        create = subcommands.add_parser(
            "create", help="Create an integration; prints its token and key once."
        )
        create.add_argument("name", help="Lowercase letters, digits and hyphens, e.g. ami-jinan.")
        create.add_argument("--kind", required=True, choices=IntegrationKind.values)
        create.add_argument(
            "--org-unit", dest="org_unit", required=True, help="Code of the org unit it acts in."
        )
        create.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            required=True,
            choices=[scope.value for scope in ApiScope],
            help="An endpoint scope; repeat for several.",
        )
        rotate = subcommands.add_parser("rotate", help="Revoke the token, issue a new token and signing key.")
        rotate.add_argument("name")
        revoke = subcommands.add_parser("revoke", help="Revoke the integration and its tokens for good.")
        revoke.add_argument("name")
        subcommands.add_parser("list", help="List the integrations.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            match options["subcommand"]:
                case "create":
                    org_unit = OrgUnit.objects.filter(code=options["org_unit"]).first()
                    if org_unit is None:
                        raise CommandError(
                            f"没有代码为 {options['org_unit']} 的单位 / No org unit {options['org_unit']}"
                        )
                    issued = create_integration(
                        name=options["name"],
                        kind=options["kind"],
                        org_unit=org_unit,
                        scopes=options["scopes"],
                        actor=None,
                        now=now,
                    )
                    self._print_credentials(issued)
                case "rotate":
                    issued = rotate_integration_credentials(
                        integration=find_integration(name=options["name"]), actor=None, now=now
                    )
                    self._print_credentials(issued)
                case "revoke":
                    integration = revoke_integration(
                        integration=find_integration(name=options["name"]), actor=None, now=now
                    )
                    self.stdout.write(f"已吊销 / Revoked: {integration.name}")
                case "list":
                    self._list()
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error

    def _print_credentials(self, issued: IssuedCredentials) -> None:
        self.stdout.write(
            f"integration: {issued.integration.name}\n"
            f"token: {issued.token}\n"
            f"signing_key: {issued.signing_key}\n"
            "请立即妥善保存：令牌和签名密钥不会再次显示 / Store these now: they are not shown again."
        )

    def _list(self) -> None:
        integrations = Integration.objects.select_related("org_unit").order_by("name")
        for integration in integrations:
            state = "active" if integration.is_active else "revoked"
            self.stdout.write(
                f"{integration.name}\t{integration.kind}\t{integration.org_unit.code}\t"
                f"{','.join(integration.scopes)}\t{state}"
            )
