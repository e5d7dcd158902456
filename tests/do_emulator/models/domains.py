# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domains and their records (SOA and NS records are made with the domain)."""

from __future__ import annotations

import ipaddress
import re

from .base import not_found, unprocessable

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9\-_]{0,61}[a-zA-Z0-9_])?\.)+[a-zA-Z]{2,63}$")

RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT")


class DomainModel:
    """``self.domains``: name -> domain; ``self.records``: domain name -> {record id -> record}."""

    def create_domain(self, body):
        name = body.get("name")
        if not isinstance(name, str) or not DOMAIN_RE.match(name):
            raise unprocessable("Name is invalid")
        name = name.lower()
        if name in self.domains:
            raise unprocessable("Name already exists")
        ip_address = body.get("ip_address")
        if ip_address is not None:
            try:
                ipaddress.ip_address(ip_address)
            except ValueError:
                raise unprocessable("Ip address is invalid") from None
        domain = {"name": name, "ttl": 1800, "zone_file": ""}
        self.domains[name] = domain
        self.records[name] = {}
        self._add_record(name, {"type": "SOA", "name": "@", "data": "1800", "ttl": 1800})
        for server in ("ns1", "ns2", "ns3"):
            self._add_record(name, {"type": "NS", "name": "@", "data": f"{server}.digitalocean.com", "ttl": 1800})
        if ip_address:
            self._add_record(name, {"type": "A", "name": "@", "data": ip_address, "ttl": 1800})
        self.dirty = True
        return domain

    def get_domain(self, name):
        domain = self.domains.get(str(name).lower())
        if domain is None:
            raise not_found()
        domain["zone_file"] = self._zone_file(domain["name"])
        return domain

    def delete_domain(self, name):
        domain = self.get_domain(name)
        del self.domains[domain["name"]]
        del self.records[domain["name"]]
        self.dirty = True

    def _zone_file(self, name):
        lines = [f"$ORIGIN {name}.", "$TTL 1800"]
        for record in self.records.get(name, {}).values():
            lines.append(f"{record['name']} {record['ttl']} IN {record['type']} {record['data']}")
        return "\n".join(lines) + "\n"

    def _add_record(self, domain, fields):
        record = {"id": self._next_id("record"), "type": fields["type"], "name": fields["name"], "data": fields["data"],
                  "priority": fields.get("priority"), "port": fields.get("port"), "ttl": fields.get("ttl") or 1800,
                  "weight": fields.get("weight"), "flags": fields.get("flags"), "tag": fields.get("tag")}
        self.records[domain][record["id"]] = record
        return record

    def _check_record(self, fields):
        kind = fields.get("type")
        if kind not in RECORD_TYPES or kind == "SOA":
            raise unprocessable("Type is invalid")
        name, data = fields.get("name"), fields.get("data")
        if not isinstance(name, str) or not name:
            raise unprocessable("Name can't be blank")
        if not isinstance(data, str) or not data:
            raise unprocessable("Data can't be blank")
        if kind in ("A", "AAAA"):
            try:
                address = ipaddress.ip_address(data)
            except ValueError:
                raise unprocessable("Data is not a valid IP address") from None
            if address.version != (4 if kind == "A" else 6):
                raise unprocessable(f"Data is not a valid IPv{4 if kind == 'A' else 6} address")
        if kind in ("MX", "SRV") and not isinstance(fields.get("priority"), int):
            raise unprocessable("Priority is required for MX and SRV records")
        if kind == "SRV" and (not isinstance(fields.get("port"), int) or not isinstance(fields.get("weight"), int)):
            raise unprocessable("Port and weight are required for SRV records")
        ttl = fields.get("ttl")
        if ttl is not None and (not isinstance(ttl, int) or ttl < 30):
            raise unprocessable("TTL must be at least 30 seconds")

    def list_records(self, domain, name=None, record_type=None):
        domain = self.get_domain(domain)["name"]
        records = list(self.records[domain].values())
        if name is not None:
            # DO filters on the fully qualified name.
            records = [r for r in records if (domain if r["name"] == "@" else f"{r['name']}.{domain}") == name]
        if record_type is not None:
            records = [r for r in records if r["type"] == record_type]
        return records

    def create_record(self, domain, body):
        domain = self.get_domain(domain)["name"]
        self._check_record(body)
        record = self._add_record(domain, body)
        self.dirty = True
        return record

    def get_record(self, domain, record_id):
        domain = self.get_domain(domain)["name"]
        try:
            return self.records[domain][int(record_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None

    def update_record(self, domain, record_id, body, replace):
        record = self.get_record(domain, record_id)
        fields = dict(record)
        if replace:
            fields = {"type": body.get("type", record["type"]), "ttl": record["ttl"], "name": record["name"],
                      "data": record["data"]}
        fields.update({k: v for k, v in body.items() if k in record and k != "id"})
        if fields.get("ttl") is None:
            fields["ttl"] = record["ttl"]
        self._check_record(fields)
        record.update({k: fields.get(k) for k in record if k != "id"})
        self.dirty = True
        return record

    def delete_record(self, domain, record_id):
        record = self.get_record(domain, record_id)
        del self.records[self.get_domain(domain)["name"]][record["id"]]
        self.dirty = True
