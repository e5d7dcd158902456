# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions, sizes and images: the fixed catalogue, plus the account's private snapshots among the images."""

from __future__ import annotations

# Regions whose slugs are in the spec's image `regions` enum (it lists only 15).
REGIONS = (
    ("nyc1", "New York 1"), ("nyc3", "New York 3"), ("sfo3", "San Francisco 3"), ("ams3", "Amsterdam 3"),
    ("sgp1", "Singapore 1"), ("lon1", "London 1"), ("fra1", "Frankfurt 1"), ("tor1", "Toronto 1"),
    ("blr1", "Bangalore 1"), ("syd1", "Sydney 1"),
)
# slug: (memory MiB, vcpus, disk GB, transfer TB, monthly USD, description)
SIZES = {
    "s-1vcpu-512mb-10gb": (512, 1, 10, 0.5, 4.0, "Basic"),
    "s-1vcpu-1gb": (1024, 1, 25, 1.0, 6.0, "Basic"),
    "s-1vcpu-2gb": (2048, 1, 50, 2.0, 12.0, "Basic"),
    "s-2vcpu-2gb": (2048, 2, 60, 3.0, 18.0, "Basic"),
    "s-2vcpu-4gb": (4096, 2, 80, 4.0, 24.0, "Basic"),
    "s-4vcpu-8gb": (8192, 4, 160, 5.0, 48.0, "Basic"),
}
# slug: (id, distribution, name, min disk GB)
IMAGES = {
    "ubuntu-24-04-x64": (165064, "Ubuntu", "24.04 (LTS) x64", 7),
    "ubuntu-22-04-x64": (129211, "Ubuntu", "22.04 (LTS) x64", 7),
    "debian-12-x64": (139398, "Debian", "12 x64", 7),
    "debian-13-x64": (188521, "Debian", "13 x64", 7),
}


class CatalogueModel:
    """Regions, sizes and images (``self.snapshots``: image id -> private snapshot image)."""

    def region(self, slug):
        names = dict(REGIONS)
        return {"name": names[slug], "slug": slug, "available": True, "sizes": list(SIZES),
                "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]}

    def regions(self):
        return [self.region(slug) for slug, dummy in REGIONS]

    def size(self, slug):
        memory, vcpus, disk, transfer, monthly, description = SIZES[slug]
        return {"slug": slug, "memory": memory, "vcpus": vcpus, "disk": disk, "transfer": transfer,
                "price_monthly": monthly, "price_hourly": round(monthly / 672.0, 5),
                "regions": [slug for slug, dummy in REGIONS], "available": True, "description": description}

    def sizes(self):
        return [self.size(slug) for slug in SIZES]

    def image(self, slug):
        image_id, distribution, name, min_disk = IMAGES[slug]
        return {"id": image_id, "name": name, "distribution": distribution, "slug": slug, "public": True,
                "regions": [slug for slug, dummy in REGIONS], "created_at": "2025-04-01T00:00:00Z",
                "type": "base", "min_disk_size": min_disk, "size_gigabytes": 2.5,
                "description": f"{distribution} {name}", "tags": [], "status": "available", "error_message": ""}

    def images(self, image_type=None, private=False):
        if private:
            return list(self.snapshots.values())
        result = [self.image(slug) for slug in IMAGES]
        if image_type in ("snapshot", "backup"):
            return [i for i in self.snapshots.values() if i["type"] == image_type]
        if image_type is None:
            result += list(self.snapshots.values())
        return result

    def find_image(self, ident):
        ident = str(ident)
        for slug, (image_id, *_rest) in IMAGES.items():
            if ident in (slug, str(image_id)):
                return self.image(slug)
        if ident.isdigit() and int(ident) in self.snapshots:
            return self.snapshots[int(ident)]
        return None
