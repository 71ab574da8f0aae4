import { AppShell, Burger, Button, Group, NavLink, ScrollArea, Select, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import type { ReactNode } from "react";
import { Link, Navigate, useLocation, useNavigate, useParams } from "react-router";
import {
  useActiveMethods,
  useEnvironments,
  useOrganisations,
  useOrganisationsRequiringTwoFactor,
  useProject,
} from "../api/queries";
import { useAuth } from "../auth";
import { useConfig } from "../context";

/** The frame of every signed-in screen: header with user, navigation for the current project. */
export function Layout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { user, logOut } = useAuth();
  const config = useConfig();
  const params = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const projectId = params.projectId ? Number(params.projectId) : undefined;
  const project = useProject(projectId);
  const environments = useEnvironments(projectId);
  const organisations = useOrganisations();
  const orgId = params.orgId ? Number(params.orgId) : project.data?.organisation;
  const envKey = params.envKey ?? environments.data?.[0]?.api_key;
  const orgName = organisations.data?.results.find((org) => org.id === orgId)?.name;
  // The environment's banner (its settings' banner text and colour) on every page of it.
  const current = params.envKey ? environments.data?.find((item) => item.api_key === params.envKey) : undefined;
  // An organisation that requires two-factor sign-in holds its members back until they
  // enrol (the API refuses everything else): send them to the page where they can.
  const requiring = useOrganisationsRequiringTwoFactor();
  const methods = useActiveMethods(requiring.length > 0);
  const mustEnrol = requiring.length > 0 && methods.data !== undefined && methods.data.length === 0;

  const link = (to: string, label: string, extra?: ReactNode, exact = false) => (
    <NavLink
      key={to}
      component={Link}
      to={to}
      label={label}
      rightSection={extra}
      active={location.pathname === to || (!exact && location.pathname.startsWith(`${to}/`))}
      onClick={close}
    />
  );

  if (mustEnrol && location.pathname !== "/account/security") return <Navigate to="/account/security" replace />;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 250, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text component={Link} to="/" fw={700} size="lg" c="indigo.7" style={{ textDecoration: "none" }}>
              Banderole
            </Text>
            {orgName && (
              <Text size="sm" c="dimmed" visibleFrom="xs" truncate maw={200}>
                / {orgName}
                {project.data ? ` / ${project.data.name}` : ""}
              </Text>
            )}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="sm" truncate maw={220}>
              {user?.email}
            </Text>
            <Button component={Link} to="/account/security" variant="subtle" size="xs">
              Security
            </Button>
            <Button variant="subtle" size="xs" onClick={logOut}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm">
        <AppShell.Section grow component={ScrollArea}>
          <Stack gap={4}>
            {projectId && environments.data && environments.data.length > 0 && (
              <Select
                label="Environment"
                aria-label="Environment"
                data={environments.data.map((environment) => ({
                  value: environment.api_key,
                  label: environment.protected ? `${environment.name} (protected)` : environment.name,
                }))}
                value={envKey ?? null}
                allowDeselect={false}
                onChange={(value) => {
                  if (!value) return;
                  // Stay on the same kind of page in the other environment.
                  const section = location.pathname.match(/\/environments\/[^/]+\/([^/]+)/)?.[1] ?? "features";
                  navigate(`/projects/${projectId}/environments/${value}/${section}`);
                  close();
                }}
                mb="sm"
              />
            )}
            {projectId && envKey && (
              <>
                {link(`/projects/${projectId}/environments/${envKey}/features`, "Features")}
                {link(`/projects/${projectId}/environments/${envKey}/identities`, "Identities")}
                {link(`/projects/${projectId}/environments/${envKey}/sdk-keys`, "SDK keys")}
                {link(`/projects/${projectId}/environments/${envKey}/settings`, "Environment settings & webhooks")}
              </>
            )}
            {projectId && (
              <>
                {link(`/projects/${projectId}/segments`, "Segments")}
                {link(`/projects/${projectId}/compare`, "Compare environments")}
                {link(`/projects/${projectId}/settings`, "Environments & project")}
                {link(`/projects/${projectId}/permissions`, "Project permissions")}
                {link(`/projects/${projectId}/audit`, "Project audit log")}
              </>
            )}
            {orgId && (
              <>
                <Text size="xs" c="dimmed" tt="uppercase" fw={600} mt="md" px="sm">
                  Organisation
                </Text>
                {link(`/organisations/${orgId}/projects`, "Projects")}
                {link(`/organisations/${orgId}/members`, "Members & invites")}
                {link(`/organisations/${orgId}/permissions`, "Groups & permissions")}
                {link(`/organisations/${orgId}/api-keys`, "API keys")}
                {link(`/organisations/${orgId}/audit`, "Audit log")}
                {link(`/organisations/${orgId}/settings`, "Settings & webhooks")}
              </>
            )}
            {link("/organisations", "All organisations", undefined, true)}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          <Text size="xs" c="dimmed" px="sm">
            Banderole {config.version}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <div style={{ maxWidth: 1100, margin: "0 auto" }}>
          {current?.banner_text && (
            <Text
              role="note"
              data-testid="environment-banner"
              mb="md"
              px="md"
              py={6}
              fw={600}
              style={{ background: current.banner_colour || "var(--mantine-color-orange-6)", color: "#fff", borderRadius: 4 }}
            >
              {current.name}: {current.banner_text}
            </Text>
          )}
          {children}
        </div>
      </AppShell.Main>
    </AppShell>
  );
}
