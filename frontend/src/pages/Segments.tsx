import { Anchor, Button, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { PAGE_SIZE, api, unwrap } from "../api/client";
import { keys } from "../api/queries";
import { EmptyState, ErrorMessage, Loading, PageTitle, Pager } from "../components/common";

export function SegmentsPage() {
  const projectId = Number(useParams().projectId);
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? 1);
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [debounced] = useDebouncedValue(search, 250);
  const segments = useQuery({
    queryKey: [...keys.segments(projectId), { page, search: debounced }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_pk}/segments/", {
          params: { path: { project_pk: String(projectId) }, query: { page, page_size: PAGE_SIZE, q: debounced || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const newLink = (
    <Button component={Link} to={`/projects/${projectId}/segments/new`}>
      Create segment
    </Button>
  );
  return (
    <>
      <PageTitle title="Segments">{newLink}</PageTitle>
      <TextInput
        aria-label="Search segments"
        placeholder="Search segments by name"
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          setParams(event.currentTarget.value ? { q: event.currentTarget.value } : {}, { replace: true });
        }}
        mb="md"
      />
      {segments.isPending && <Loading label="Loading segments…" />}
      <ErrorMessage error={segments.error} onRetry={() => segments.refetch()} />
      {segments.data && segments.data.count === 0 &&
        (debounced ? (
          <EmptyState title={`No segment matches “${debounced}”`} />
        ) : (
          <EmptyState title="No segments yet" action={newLink}>
            A segment is a group of identities described by rules on their traits, such as “plan is pro” or “country is one
            of gb, fr”. Segment overrides then give them different flag values.
          </EmptyState>
        ))}
      {segments.data && segments.data.count > 0 && (
        <>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Segment</Table.Th>
                <Table.Th visibleFrom="sm">Description</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {segments.data.results.map((segment) => (
                <Table.Tr key={segment.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${projectId}/segments/${segment.id}`} fw={600}>
                      {segment.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td visibleFrom="sm">
                    <Text size="sm" c="dimmed" lineClamp={1}>
                      {segment.description}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager page={page} count={segments.data.count} pageSize={PAGE_SIZE} onChange={(next) => setParams({ ...(search ? { q: search } : {}), page: String(next) })} />
        </>
      )}
    </>
  );
}
